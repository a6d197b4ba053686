import '@xterm/xterm/css/xterm.css';
import './styles.css';
import { createApp } from 'vue';
import App from './App.vue';
import { startIdentity } from './api/identity';
import { startLive } from './api/live';

startLive();
startIdentity();
createApp(App).mount('#app');
