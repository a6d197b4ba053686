import '@xterm/xterm/css/xterm.css';
import './styles.css';
import { createApp } from 'vue';
import App from './App.vue';
import { startLive } from './api/live';

startLive();
createApp(App).mount('#app');
