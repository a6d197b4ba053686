import { createRouter, type RouteDef } from './lib/router';
import EnvironmentsPage from './pages/EnvironmentsPage.vue';
import GpusPage from './pages/GpusPage.vue';
import LoginPage from './pages/LoginPage.vue';
import NodesPage from './pages/NodesPage.vue';
import NotFoundPage from './pages/NotFoundPage.vue';
import OverviewPage from './pages/OverviewPage.vue';
import SubmitPage from './pages/SubmitPage.vue';
import TaskDetailPage from './pages/TaskDetailPage.vue';
import TasksPage from './pages/TasksPage.vue';
import VpsPage from './pages/VpsPage.vue';

/** The pages, and the navigation's order. */
export const routes: RouteDef[] = [
  { name: 'Overview', path: '/', component: OverviewPage },
  { name: 'Nodes', path: '/nodes', component: NodesPage },
  { name: 'GPUs', path: '/gpus', component: GpusPage },
  { name: 'Tasks', path: '/tasks', component: TasksPage },
  { name: 'Task', path: '/tasks/:id', component: TaskDetailPage },
  { name: 'Submit', path: '/submit', component: SubmitPage },
  { name: 'VPS', path: '/vps', component: VpsPage },
  { name: 'Environments', path: '/envs', component: EnvironmentsPage },
  { name: 'Log in', path: '/login', component: LoginPage, public: true },
];

export const navigation = routes.filter((route) => !route.public && !route.path.includes(':'));

export const router = createRouter(routes, { name: 'Not found', path: '', component: NotFoundPage });
